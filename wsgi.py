from gpo import create_app

app = create_app()
