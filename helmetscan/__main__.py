from helmetscan.cli import app

app()
