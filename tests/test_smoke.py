def test_home_page_offers_the_form(client):
    """The home page shows the request form in Vietnamese."""
    response = client.get("/")
    assert response.status_code == 200
    assert "Gửi yêu cầu" in response.get_data(as_text=True)
