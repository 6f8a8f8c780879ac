"""URL routes of this app, included under / by duban.urls."""

urlpatterns: list = []
