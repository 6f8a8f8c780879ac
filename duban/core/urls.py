"""URL routes of this app, included under / by duban.urls. Names are global (``login``, ``dashboard``…) because
Django's auth machinery and the middleware look them up by these names."""

from django.urls import path

from duban.core import guide, views

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.password_change, name="password_change"),
    path("accounts/me/", views.account, name="account"),
    path("help/", guide.guide_page, name="guide"),
    path("help/<slug:page>.md", guide.guide_page, name="guide_page"),
    path("help/img/<str:name>", guide.guide_image, name="guide_image"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_read, name="notification_read"),
]
