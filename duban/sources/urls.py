"""URL routes of this app, included under / by duban.urls: /sources/…, /search/, /phrases/."""

from django.urls import path

from duban.sources import views

app_name = "sources"

urlpatterns = [
    path("sources/", views.sources_index, name="index"),
    path("sources/instructions/", views.instruction_list, name="instruction_list"),
    path("sources/instructions/new/", views.instruction_new, name="instruction_new"),
    path("sources/instructions/<int:instruction_id>/", views.instruction_detail, name="instruction_detail"),
    path("sources/instructions/<int:instruction_id>/tasks/", views.instruction_add_task,
         name="instruction_add_task"),
    path("sources/cases/", views.case_list, name="case_list"),
    path("sources/cases/new/", views.case_new, name="case_new"),
    path("sources/cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("sources/cases/<int:case_id>/rectification/", views.case_rectification, name="case_rectification"),
    path("sources/livelihood/", views.livelihood_list, name="livelihood_list"),
    path("sources/livelihood/new/", views.livelihood_new, name="livelihood_new"),
    path("sources/livelihood/<int:project_id>/", views.livelihood_detail, name="livelihood_detail"),
    path("sources/livelihood/<int:project_id>/actuals/", views.livelihood_actual, name="livelihood_actual"),
    path("sources/livelihood/<int:project_id>/target/", views.livelihood_target, name="livelihood_target"),
    path("sources/hazards/", views.hazard_list, name="hazard_list"),
    path("sources/hazards/new/", views.hazard_new, name="hazard_new"),
    path("sources/hazards/<int:hazard_id>/", views.hazard_detail, name="hazard_detail"),
    path("sources/hazards/<int:hazard_id>/attachments/", views.hazard_attach, name="hazard_attach"),
    path("sources/hazards/<int:hazard_id>/<str:step>/", views.hazard_step, name="hazard_step"),
    path("sources/attachments/<int:attachment_id>/", views.attachment_download, name="attachment_download"),
    path("search/", views.search_page, name="search"),
    path("phrases/", views.phrase_list, name="phrase_list"),
    path("phrases/<int:phrase_id>/", views.phrase_detail, name="phrase_detail"),
]
