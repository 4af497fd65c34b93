from opendso_importer.app import main

main()
