from imagewright.cli import main

raise SystemExit(main())
