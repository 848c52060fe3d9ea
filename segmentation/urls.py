from __future__ import annotations

from django.urls import path

from segmentation import views, views_market

urlpatterns = [
    path("icp/", views.icp_list, name="icp_list"),
    path("icp/new/", views.icp_create, name="icp_create"),
    path("icp/import/", views.icp_import, name="icp_import"),
    path("icp/<int:pk>/", views.icp_detail, name="icp_detail"),
    path("icp/<int:pk>/edit/", views.icp_edit, name="icp_edit"),
    path("icp/<int:pk>/publish/", views.icp_publish, name="icp_publish"),
    path("icp/<int:pk>/new-version/", views.icp_new_version, name="icp_new_version"),
    path("icp/<int:pk>/score/", views.icp_score, name="icp_score"),
    path("icp/<int:pk>/export/", views.icp_export, name="icp_export"),
    path("icp/<int:pk>/matrix/", views.icp_matrix, name="icp_matrix"),
    path("icp/<int:pk>/accounts/<int:account_id>/answer/", views.icp_answer, name="icp_answer"),
    path("icp/<int:pk>/accounts/<int:account_id>/review/", views.icp_review, name="icp_review"),
    path("icp/<int:pk>/accounts/<int:account_id>/score.json", views.score_json, name="icp_score_json"),
    path("matrix/", views.matrix_current, name="matrix"),
    path("accounts/<int:account_id>/icp/", views.account_icp_panel, name="account_icp_panel"),
    path("territories/", views_market.territory_design_list, name="territory_design_list"),
    path("territories/<int:pk>/", views_market.territory_design_detail, name="territory_design_detail"),
    path("territories/<int:pk>/accounts/search/", views_market.rule_account_search, name="rule_account_search"),
    path("territories/<int:pk>/accounts/choose/", views_market.rule_account_choose, name="rule_account_choose"),
    path("tam/", views_market.tam_overview, name="tam_overview"),
    path("tam/runs/<int:pk>/", views_market.tam_run_detail, name="tam_run_detail"),
    path("my-territory/", views_market.my_territory, name="my_territory"),
    path("my-territory/prioritize/", views_market.prioritize_start, name="prioritize_start"),
]
