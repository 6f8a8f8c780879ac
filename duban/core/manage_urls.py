"""Administration pages (系统管理) under /manage/: people, the unit tree and the work areas."""

from django.urls import path

from duban.core import manage_views as views

app_name = "manage"

urlpatterns = [
    path("manage/people/", views.person_list, name="people"),
    path("manage/people/new/", views.person_create, name="person_create"),
    path("manage/people/import/", views.people_import, name="people_import"),
    path("manage/people/<int:user_id>/", views.person_detail, name="person"),
    path("manage/people/<int:user_id>/move/", views.person_move, name="person_move"),
    path("manage/people/<int:user_id>/deactivate/", views.person_deactivate, name="person_deactivate"),
    path("manage/people/<int:user_id>/reactivate/", views.person_reactivate, name="person_reactivate"),
    path("manage/people/<int:user_id>/password-reset/", views.person_password_reset, name="person_password_reset"),
    path("manage/people/<int:user_id>/unlock/", views.person_unlock, name="person_unlock"),
    path("manage/units/", views.unit_list, name="units"),
    path("manage/units/new/", views.unit_create, name="unit_create"),
    path("manage/units/import/", views.units_import, name="units_import"),
    path("manage/units/<int:unit_id>/", views.unit_detail, name="unit"),
    path("manage/units/<int:unit_id>/rename/", views.unit_rename, name="unit_rename"),
    path("manage/units/<int:unit_id>/merge/", views.unit_merge, name="unit_merge"),
    path("manage/units/<int:unit_id>/deactivate/", views.unit_deactivate, name="unit_deactivate"),
    path("manage/areas/", views.area_list, name="areas"),
    path("manage/areas/new/", views.area_create, name="area_create"),
    path("manage/areas/<int:area_id>/rename/", views.area_rename, name="area_rename"),
    path("manage/areas/<int:area_id>/active/", views.area_active_set, name="area_active"),
]
