from opendso_messaging.app import main

main()
