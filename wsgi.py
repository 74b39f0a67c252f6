from callcentre import create_app

app = create_app()
