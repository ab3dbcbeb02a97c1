from mediaplan.cli import app

app(prog_name="mediaplan")
