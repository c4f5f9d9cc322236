# nbgrader settings of a student's server on Kubernetes (deploy/z2jh; JUPYTER_CONFIG_PATH points here).
import os

c = get_config()  # noqa: F821
c.Exchange.root = "/srv/nbgrader/exchange"  # a ReadWriteMany volume shared by every server (values.yaml)
c.CourseDirectory.course_id = "cnn-course"
c.CourseDirectory.student_id = os.environ.get("JUPYTERHUB_USER", "*")  # every pod runs as jovyan
c.Execute.timeout = 600
