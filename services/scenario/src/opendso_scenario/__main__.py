from opendso_scenario.app import main

main()
