"""The Django project: settings, URLs, WSGI, the API's error answers and its schema."""
