from dockeropt.cli import main

raise SystemExit(main())
