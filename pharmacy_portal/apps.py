from django.apps import AppConfig


class PharmacyPortalConfig(AppConfig):
    name = "pharmacy_portal"
    verbose_name = "Pharmacy Digital Portal"
