from opendso_reporting.app import main

main()
