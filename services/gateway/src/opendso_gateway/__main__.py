from opendso_gateway.app import main

main()
