from course_utils.cli import main

raise SystemExit(main())
