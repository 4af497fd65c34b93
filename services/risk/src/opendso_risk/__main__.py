from opendso_risk.app import main

main()
