from worlddirector.cli.main import main

main()
