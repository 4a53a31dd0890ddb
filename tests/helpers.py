"""Assertions several test modules share (no test module imports another)."""


def assert_error(response, status, fragment=""):
    """A Flask test response is the API's error shape with ``status`` and a message holding ``fragment``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    assert isinstance(body["error"]["message"], str) and fragment in body["error"]["message"]
    assert "Traceback" not in response.get_data(as_text=True)
