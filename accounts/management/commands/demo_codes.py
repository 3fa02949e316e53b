from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current two-factor code of each demo persona's authenticator."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo codes are not available in production.")
        devices = TOTPDevice.objects.filter(name="Demo authenticator").select_related("user")
        if not devices:
            raise CommandError("No demo personas yet: run `manage.py seed_demo` first.")
        for device in devices:
            self.stdout.write(f"{device.user.email:<32} {current_code(device)}")


def current_code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
