"""The W3C SPARQL 1.1 Graph Store HTTP Protocol tests, every one, against ``/graph-store``.

Source: w3c/rdf-tests, ``sparql/sparql11/graph-store-protocol``: ``manifest-indirect.ttl``
(8 entries, plus ``put_get_uri_pct_encoded_twice`` which it defines but does not list)
and ``manifest.ttl`` (7 entries, written for direct graph identification).

Our service identifies graphs indirectly only, so the manifests' ``/gsp?...`` paths become
``/graph-store?...``, and a direct path ``/gsp/person/1.ttl`` becomes
``/graph-store?graph=http://www.example/gsp/person/1.ttl`` — the IRI that path names on
the manifests' host ``www.example``. Writes carry our bearer token. Each test runs on a
fresh store: the manifests' request sequences are self-contained (their expected bodies
hold one business card, which only a fresh graph gives).

Checked as the manifests say: status codes, the ``Content-Type`` of answers, and answer
bodies isomorphic to the manifests' expected graphs.
"""

from __future__ import annotations

from urllib.parse import quote

from flask.testing import FlaskClient
from service_support import AUTH
from w3c_answers import assert_isomorphic, rdf_answer, same_content_type

GSP = "/graph-store"
HOST = "http://www.example"
TURTLE_UTF8 = "text/turtle; charset=utf-8"

JOHN = """
    @prefix foaf: <http://xmlns.com/foaf/0.1/> .
    @prefix v: <http://www.w3.org/2006/vcard/ns#> .

    <http://www.example/gsp/person/1> a foaf:Person;
        foaf:businessCard [
            a v:VCard;
            v:fn "John Doe"
        ].
"""
JANE = JOHN.replace("John Doe", "Jane Doe")
ALICE = """
    @prefix foaf: <http://xmlns.com/foaf/0.1/> .
    @prefix v: <http://www.w3.org/2006/vcard/ns#> .

    []  a foaf:Person;
        foaf:businessCard [
            a v:VCard;
            v:given-name "Alice"
        ] .
"""
JANE_FULL = """
    @prefix foaf: <http://xmlns.com/foaf/0.1/> .
    @prefix v: <http://www.w3.org/2006/vcard/ns#> .

    <http://www.example/gsp/person/1> a foaf:Person;
        foaf:givenName      "Jane";
        foaf:familyName     "Doe";
        foaf:businessCard [
            a               v:VCard;
            v:fn            "Jane Doe"
        ] .
"""
BOUNDARY = "a6fe4cd636164618814be9f8d3d1a0de"
MULTIPART_BODY = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="lastName.ttl"; filename="lastName.ttl"\r\n'
    "Content-Type: text/turtle; charset=utf-8\r\n"
    "\r\n"
    "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\r\n"
    '<http://www.example/gsp/person/1> foaf:familyName "Doe" .\r\n'
    "\r\n"
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="firstName.ttl"; filename="firstName.ttl"\r\n'
    "Content-Type: text/turtle; charset=utf-8\r\n"
    "\r\n"
    "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\r\n"
    '<http://www.example/gsp/person/1> foaf:givenName "Jane" .\r\n'
    "\r\n"
    f"--{BOUNDARY}--\r\n"
)
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def direct(path: str) -> str:
    """A direct-identification path of the manifest, as our indirect request."""
    return f"{GSP}?graph={quote(HOST + path, safe='')}"


def indirect(absolute_path: str) -> str:
    """An indirect-identification path of the manifest, on our endpoint."""
    assert absolute_path.startswith("/gsp")
    return GSP + absolute_path[len("/gsp"):]


def put(client: FlaskClient, path: str, body: str, *statuses: int) -> None:
    response = client.put(path, data=body.encode("utf-8"), content_type=TURTLE_UTF8,
                          headers=AUTH)
    assert response.status_code in statuses, (response.status_code, response.get_data())


def post(client: FlaskClient, path: str, body: str, content_type: str, *statuses: int):
    response = client.post(path, data=body.encode("utf-8"), content_type=content_type,
                           headers=AUTH)
    assert response.status_code in statuses, (response.status_code, response.get_data())
    return response


def get_graph(client: FlaskClient, path: str, expected: str,
              accept: str = "text/turtle") -> None:
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert same_content_type(response.headers["Content-Type"], TURTLE_UTF8)
    assert_isomorphic(rdf_answer(response.headers["Content-Type"], response.get_data()),
                      expected)


# -- manifest-indirect.ttl ---------------------------------------------------------------

PERSON1 = "/gsp?graph=http%3A%2F%2Fwww.example%2Fgsp%2Fperson%2F1.ttl"
PERSON2 = "/gsp?graph=http%3A%2F%2Fwww.example%2Fgsp%2Fperson%2F2.ttl"
PERSON4 = "/gsp?graph=http%3A%2F%2Fwww.example%2Fgsp%2Fperson%2F4.ttl"


def test_put_get_repeat_indirect(client: FlaskClient) -> None:
    """PUT/GET repetition on same graph using varying graph identification (indirect)"""
    put(client, indirect(PERSON1), JOHN, 201)
    get_graph(client, indirect(PERSON1), JOHN)
    put(client, indirect(PERSON1), JANE, 200, 204)
    get_graph(client, indirect(PERSON1), JANE)


def test_put_get_default_indirect(client: FlaskClient) -> None:
    """PUT/GET on the default graph (manifest-indirect.ttl)"""
    put(client, indirect("/gsp?default"), ALICE, 200, 201, 204)
    get_graph(client, indirect("/gsp?default"), ALICE)


def test_put_delete_get_delete_indirect(client: FlaskClient) -> None:
    """PUT initialization, then DELETE/GET/DELETE (indirect graph identification)"""
    put(client, indirect(PERSON2), ALICE, 201, 200, 204)
    assert client.delete(indirect(PERSON2), headers=AUTH).status_code in (200, 204)
    assert client.get(indirect(PERSON2)).status_code == 404
    assert client.delete(indirect(PERSON2), headers=AUTH).status_code in (404, 200, 204)


def test_post_get_post_get_indirect(client: FlaskClient) -> None:
    """Two iterations of POST/GET, with the second using multipart/form-data (indirect)"""
    post(client, indirect(PERSON1), JANE, TURTLE_UTF8, 200, 201, 204)
    get_graph(client, indirect(PERSON1), JANE)
    post(client, indirect(PERSON1), MULTIPART_BODY, MULTIPART, 200, 204)
    get_graph(client, indirect(PERSON1), JANE_FULL)


def test_post_get_new_graph_indirect(client: FlaskClient) -> None:
    """Graph creation via POST on the GSP endpoint, then GET of the resulting graph"""
    response = post(client, indirect("/gsp"), ALICE, TURTLE_UTF8, 201)
    location = response.headers["Location"]
    get_graph(client, indirect(f"/gsp?graph={location}"), ALICE)


def test_head_existing_indirect(client: FlaskClient) -> None:
    """PUT initialization, then HEAD on existing graph (indirect graph identification)"""
    put(client, indirect(PERSON1), JOHN, 200, 201, 204)
    response = client.head(indirect(PERSON1), headers={"Accept": TURTLE_UTF8})
    assert response.status_code == 200
    assert same_content_type(response.headers["Content-Type"], TURTLE_UTF8)
    assert response.get_data() == b""


def test_head_non_existing_indirect(client: FlaskClient) -> None:
    """HEAD on non-existing graph (indirect graph identification)"""
    response = client.head(indirect(PERSON4), headers={"Accept": TURTLE_UTF8})
    assert response.status_code == 404


def test_put_get_uri_pct_encoded_indirect(client: FlaskClient) -> None:
    """PUT/GET (indirect graph identification; varying percent-encoding for the same IRI)"""
    put(client, indirect(PERSON1), JOHN, 201)
    get_graph(client, indirect("/gsp?graph=http://www.example/gsp/person/1.ttl"), JOHN)


def test_put_get_uri_pct_encoded_twice(client: FlaskClient) -> None:
    """PUT/GET/GET (indirect; percent-encoding is decoded once, for the URL query, and not
    twice) — defined in manifest-indirect.ttl but not listed among its entries"""
    put(client, indirect("/gsp?graph=http://www.example/gsp/person/1.ttl"), JOHN, 201)
    get_graph(client, indirect("/gsp?graph=http://www.example/gsp/person/%31.ttl"), JOHN)
    response = client.get(indirect("/gsp?graph=http://www.example/gsp/person/%2531.ttl"),
                          headers={"Accept": "text/turtle"})
    assert response.status_code == 404


# -- manifest.ttl (direct identification, mapped onto ?graph=) ---------------------------


def test_put_get_repeat(client: FlaskClient) -> None:
    """PUT/GET repetition on same graph using varying graph identification"""
    put(client, direct("/gsp/person/1.ttl"), JOHN, 201)
    get_graph(client, indirect("/gsp?graph=http://www.example/gsp/person/1.ttl"), JOHN)
    put(client, indirect("/gsp?graph=http://www.example/gsp/person/1.ttl"), JANE, 200, 204)
    get_graph(client, direct("/gsp/person/1.ttl"), JANE)


def test_put_get_default(client: FlaskClient) -> None:
    """PUT/GET on the default graph (manifest.ttl: PUT answers 200 or 204 here)"""
    put(client, indirect("/gsp?default"), ALICE, 200, 204)
    get_graph(client, indirect("/gsp?default"), ALICE)


def test_put_delete_get_delete(client: FlaskClient) -> None:
    """PUT initialization, then DELETE/GET/DELETE on a direct-identified graph"""
    put(client, direct("/gsp/person/2.ttl"), ALICE, 201, 200, 204)
    assert client.delete(direct("/gsp/person/2.ttl"), headers=AUTH).status_code in (200, 204)
    assert client.get(direct("/gsp/person/2.ttl")).status_code == 404
    assert client.delete(direct("/gsp/person/2.ttl"),
                         headers=AUTH).status_code in (404, 200, 204)


def test_post_get_post_get(client: FlaskClient) -> None:
    """Two iterations of POST/GET, with the second using multipart/form-data

    manifest.ttl expects 200/204 for the first POST, which in its sequence lands on the
    graph an earlier test made; on a fresh store the graph is new, and we answer 201
    Created, which manifest-indirect.ttl lists for the same request.
    """
    post(client, direct("/gsp/person/1.ttl"), JANE, TURTLE_UTF8, 200, 204, 201)
    get_graph(client, direct("/gsp/person/1.ttl"), JANE)
    post(client, direct("/gsp/person/1.ttl"), MULTIPART_BODY, MULTIPART, 200, 204)
    get_graph(client, direct("/gsp/person/1.ttl"), JANE_FULL)


def test_post_get_new_graph(client: FlaskClient) -> None:
    """Graph creation via POST on the GSP endpoint, then GET of the new graph
    (manifest.ttl's entry carries the name of another test; this is what it does)"""
    response = post(client, indirect("/gsp"), ALICE, TURTLE_UTF8, 201)
    location = response.headers["Location"]
    get_graph(client, indirect(f"/gsp?graph={location}"), ALICE)
    # A second POST makes a second, different graph.
    again = post(client, indirect("/gsp"), ALICE, TURTLE_UTF8, 201)
    assert again.headers["Location"] != location


def test_head_existing(client: FlaskClient) -> None:
    """PUT initialization, then HEAD on existing graph"""
    put(client, direct("/gsp/person/1.ttl"), JOHN, 200, 201, 204)
    response = client.head(direct("/gsp/person/1.ttl"), headers={"Accept": TURTLE_UTF8})
    assert response.status_code == 200
    assert same_content_type(response.headers["Content-Type"], TURTLE_UTF8)


def test_head_non_existing(client: FlaskClient) -> None:
    """HEAD on non-existing graph"""
    response = client.head(direct("/gsp/person/4.ttl"), headers={"Accept": TURTLE_UTF8})
    assert response.status_code == 404
