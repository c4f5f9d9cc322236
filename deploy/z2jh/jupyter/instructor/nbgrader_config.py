# nbgrader settings of the instructor's server on Kubernetes (deploy/z2jh; JUPYTER_CONFIG_PATH points here).
c = get_config()  # noqa: F821
c.Exchange.root = "/srv/nbgrader/exchange"
c.CourseDirectory.course_id = "cnn-course"
c.CourseDirectory.root = "/home/jovyan/cnn-course"  # made once with `course release --nbgrader ~/cnn-course`
c.Execute.timeout = 600
