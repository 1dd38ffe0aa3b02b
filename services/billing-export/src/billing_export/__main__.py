from billing_export.main import main

main()
