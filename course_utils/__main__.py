from course_utils.instructor.cli import main

raise SystemExit(main())
