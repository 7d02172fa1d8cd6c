"""Small assertions shared by the API test modules."""
from __future__ import annotations


def error_of(resp, status, parameter=None) -> dict:
    """The JSON error of *resp*, checked: status, message, and the named parameter."""
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == "application/json"
    err = resp.get_json()["error"]
    assert err["status"] == status and err["message"]
    if parameter is not None:
        assert err.get("parameter") == parameter, err
    return err
