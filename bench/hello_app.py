"""A bare Flask "hello" app, served under the same settings as the real one for comparison."""
from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return "hello"
