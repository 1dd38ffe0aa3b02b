from meterbot.cli import main

main()
