from django import forms

from accounts.forms import NHSForm
from accounts.widgets import NHSDateField

from . import selectors
from .models import ImportRun


class UploadForm(NHSForm):
    submit_label = "Upload and preview"

    kind = forms.ChoiceField(
        label="What does the file list?",
        choices=ImportRun.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the file lists"},
    )
    file = forms.FileField(
        label="File",
        help_text="A CSV file (.csv) or an Excel workbook (.xlsx), up to 50 MB",
        error_messages={
            "required": "Choose a file to upload",
            "empty": "The file is empty",
            "invalid": "Choose a file to upload",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    is_full_staff_list = forms.BooleanField(
        label="This staff file lists everyone who works for the organisation",
        required=False,
        help_text=(
            "The preview will then show people on the portal who are missing from the file. "
            "Their memberships are only ended if you confirm that separately."
        ),
    )


class OdsUploadForm(NHSForm):
    submit_label = "Upload and compare"

    file = forms.FileField(
        label="The ODS pharmacy file",
        help_text=(
            "The dispensing contractors file as NHS ODS publishes it: a CSV file without "
            "headings, 27 columns a row"
        ),
        error_messages={"required": "Choose the ODS file to upload", "empty": "The file is empty"},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv"}),
    )


class OdsAddForm(NHSForm):
    submit_label = "Add these premises"

    organisation = forms.ModelChoiceField(
        label="Add them to which organisation?",
        queryset=None,
        empty_label="Choose an organisation",
        error_messages={"required": "Choose the organisation to add them to"},
    )
    codes = forms.CharField(
        label="ODS codes to add",
        help_text="Separated by spaces, commas or new lines. For example, FA123 FB456",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the ODS codes of the premises to add"},
    )

    def __init__(self, *args, user, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = selectors.organisations_for_ods(user)
        self.helper.form_action = action


class EndMissingForm(NHSForm):
    submit_label = "End these memberships"

    end_date = NHSDateField(
        label="When do these memberships end?",
        help_text="The first day they no longer work here. For example, 27 3 2026",
        error_messages={"required": "Enter the date the memberships end"},
    )
