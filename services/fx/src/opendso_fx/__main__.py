from opendso_fx.app import main

main()
