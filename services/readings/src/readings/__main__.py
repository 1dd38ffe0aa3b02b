from readings.main import main

main()
