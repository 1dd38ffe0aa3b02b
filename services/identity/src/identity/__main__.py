from identity.main import main

main()
