from opendso_matching.app import main

main()
