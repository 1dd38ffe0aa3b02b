from accounts.main import main

main()
