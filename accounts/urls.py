from __future__ import annotations

from django.urls import path

from accounts import views, views_import_review, views_imports

urlpatterns = [
    path("", views.account_list, name="account_list"),
    path("<int:pk>/", views.account_detail, name="account_detail"),
    path("summary/", views.account_list_summary, name="account_list_summary"),
    path("exports/<int:pk>/download/", views.account_export_download, name="account_export_download"),
    path("verticals/", views.vertical_list, name="vertical_list"),
    path("verticals/industries/<int:pk>/", views.industry_mapping_update, name="industry_mapping_update"),
    path("imports/", views_imports.account_import_list, name="account_import_list"),
    path("imports/new/", views_imports.account_import_upload, name="account_import_upload"),
    path("imports/duplicates/", views_import_review.possible_duplicate_list, name="possible_duplicate_list"),
    path(
        "imports/duplicates/<int:pk>/decide/",
        views_import_review.possible_duplicate_decide,
        name="possible_duplicate_decide",
    ),
    path("imports/<int:pk>/changes/", views_import_review.account_import_changes, name="account_import_changes"),
    path("imports/<int:pk>/undo/", views_import_review.account_import_undo, name="account_import_undo"),
    path(
        "imports/<int:pk>/undo/panel/", views_import_review.account_import_undo_panel, name="account_import_undo_panel"
    ),
    path("imports/<int:pk>/", views_imports.account_import_detail, name="account_import_detail"),
    path("imports/<int:pk>/preview/", views_imports.account_import_preview_fragment, name="account_import_preview"),
    path("imports/<int:pk>/reading/", views_imports.account_import_reading, name="account_import_reading"),
    path(
        "imports/<int:pk>/valid-rows/",
        views_imports.account_import_retry_valid_rows,
        name="account_import_retry_valid_rows",
    ),
    path("imports/<int:pk>/discard/", views_imports.account_import_discard, name="account_import_discard"),
    path("imports/<int:pk>/problems.csv", views_imports.account_import_issues_csv, name="account_import_issues_csv"),
    path(
        "imports/<int:pk>/rejected.csv", views_imports.account_import_rejected_csv, name="account_import_rejected_csv"
    ),
]
