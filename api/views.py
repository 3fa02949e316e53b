"""The head-office JSON API. Thin: parse, call one selector or service, answer JSON."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from accounts import services as account_services
from accounts.permissions import Permission
from nhsmail import services as nhsmail_services

from . import selectors
from . import serializers as s

ERRORS = {400: s.ErrorSerializer, 401: s.ErrorSerializer, 404: s.ErrorSerializer}


def _filters(request, serializer_class=s.UpdatedSinceSerializer):
    params = serializer_class(data=request.query_params.dict())
    params.is_valid(raise_exception=True)
    return params.validated_data


def _body(request, serializer_class):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ApiListView(GenericAPIView):
    filter_serializer = s.UpdatedSinceSerializer

    def rows(self, request, filters):
        raise NotImplementedError

    def decorate(self, page):
        return page

    def get(self, request):
        filters = _filters(request, self.filter_serializer)
        page = self.paginate_queryset(self.rows(request, filters))
        return self.get_paginated_response(self.get_serializer(self.decorate(page), many=True).data)


UPDATED_SINCE = OpenApiParameter(
    "updated_since",
    OpenApiTypes.DATETIME,
    description="ISO 8601 date and time: only what changed since then",
)


@extend_schema(
    tags=["premises"],
    parameters=[UPDATED_SINCE],
    responses={200: s.PremisesSerializer(many=True), **ERRORS},
)
class PremisesList(ApiListView):
    """The organisation's premises, each with its compliance standing in every area."""

    serializer_class = s.PremisesSerializer

    def rows(self, request, filters):
        return selectors.premises_for_api(request, filters.get("updated_since"))

    def decorate(self, page):
        return selectors.compliance_for_page(list(page))


@extend_schema(tags=["premises"], responses={200: s.PremisesSerializer, **ERRORS})
class PremisesDetail(GenericAPIView):
    serializer_class = s.PremisesSerializer

    def get(self, request, pk):
        premises = get_object_or_404(selectors.premises_for_api(request), pk=pk)
        return Response(self.get_serializer(selectors.compliance_for_page([premises])[0]).data)


@extend_schema(tags=["staff"])
class MembershipList(ApiListView):
    filter_serializer = s.MembershipFilterSerializer
    serializer_class = s.MembershipSerializer

    def rows(self, request, filters):
        return selectors.memberships_for_api(
            request,
            since=filters.get("updated_since"),
            premises_id=filters.get("premises"),
            current=filters.get("current"),
        )

    # Query parameters belong to the listing only: the POST takes a body.
    @extend_schema(
        parameters=[
            UPDATED_SINCE,
            OpenApiParameter(
                "premises",
                {"type": "integer", "minimum": 1, "maximum": s.MAX_ID},
                description="Only this premises' staff",
            ),
            OpenApiParameter(
                "current",
                {"type": "string", "enum": ["true", "false"]},
                description="true: only current; false: only ended",
            ),
        ],
        responses={200: s.MembershipSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        return super().get(request)

    @extend_schema(
        request=s.MembershipCreateSerializer,
        responses={201: s.MembershipCreatedSerializer, 403: s.ErrorSerializer, **ERRORS},
        description="Invite a person to a premises. Someone who already has an account is "
        "added at once; anyone else is emailed an invitation.",
    )
    def post(self, request):
        data = _body(request, s.MembershipCreateSerializer)
        premises = get_object_or_404(
            selectors.premises_in_scope(request, Permission.MANAGE_STAFF), pk=data["premises"]
        )
        invitation, token = account_services.invitation_create(
            actor=request.user,
            premises=premises,
            email=data["email"],
            full_name=data["full_name"],
            job_role=data["job_role"],
            is_manager=data["is_manager"],
        )
        membership = None
        if token is None:
            membership = (
                premises.memberships.filter(user__email=invitation.email, end_date__isnull=True)
                .select_related("user", "premises")
                .first()
            )
        body = {
            "outcome": "invited" if token else "added",
            "invitation": invitation.pk,
            "membership": s.MembershipSerializer(membership).data if membership else None,
        }
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["staff"], responses={200: s.MembershipSerializer, **ERRORS})
class MembershipDetail(GenericAPIView):
    serializer_class = s.MembershipSerializer

    def get(self, request, pk):
        return Response(self.get_serializer(selectors.membership_for_api(request, pk)).data)


@extend_schema(
    tags=["staff"],
    request=s.MembershipEndSerializer,
    responses={200: s.MembershipSerializer, 403: s.ErrorSerializer, **ERRORS},
)
class MembershipEnd(GenericAPIView):
    serializer_class = s.MembershipSerializer

    def post(self, request, pk):
        membership = selectors.membership_for_api(request, pk, Permission.MANAGE_STAFF)
        data = _body(request, s.MembershipEndSerializer)
        membership = account_services.membership_end(
            actor=request.user, membership=membership, end_date=data["end_date"]
        )
        return Response(self.get_serializer(membership).data)


@extend_schema(tags=["nhsmail"])
class AccountList(ApiListView):
    serializer_class = s.AccountSerializer

    def rows(self, request, filters):
        return selectors.accounts_for_api(request, filters.get("updated_since"))

    @extend_schema(
        parameters=[UPDATED_SINCE], responses={200: s.AccountSerializer(many=True), **ERRORS}
    )
    def get(self, request):
        return super().get(request)

    @extend_schema(
        request=s.AccountRecordSerializer,
        responses={200: s.AccountSerializer, 403: s.ErrorSerializer, **ERRORS},
        description="Record or update a person's personal NHSmail account.",
    )
    def post(self, request):
        data = _body(request, s.AccountRecordSerializer)
        person = selectors.staff_person_for_api(request, data["email"])
        if person is None:
            raise NotFound("No one with this email works at your organisation's premises")
        account = nhsmail_services.account_record(
            actor=request.user, person=person, address=data["address"], status=data["status"]
        )
        return Response(self.get_serializer(account).data)


@extend_schema(tags=["nhsmail"])
class LinkList(ApiListView):
    serializer_class = s.LinkSerializer

    def rows(self, request, filters):
        return selectors.links_for_api(request, filters.get("updated_since"))

    @extend_schema(
        parameters=[UPDATED_SINCE], responses={200: s.LinkSerializer(many=True), **ERRORS}
    )
    def get(self, request):
        return super().get(request)

    @extend_schema(
        request=s.LinkCreateSerializer,
        responses={201: s.LinkSerializer, 403: s.ErrorSerializer, **ERRORS},
        description="Link a personal account to a premises' shared mailbox.",
    )
    def post(self, request):
        data = _body(request, s.LinkCreateSerializer)
        premises = get_object_or_404(
            selectors.premises_in_scope(request, Permission.MANAGE_NHSMAIL), pk=data["premises"]
        )
        account = get_object_or_404(selectors.accounts_for_api(request), pk=data["account"])
        link = nhsmail_services.link_create(actor=request.user, premises=premises, account=account)
        link = selectors.links_for_api(request).get(pk=link.pk)
        return Response(self.get_serializer(link).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["nhsmail"],
    request=s.EmptySerializer,
    responses={200: s.LinkSerializer, 403: s.ErrorSerializer, **ERRORS},
)
class LinkEnd(GenericAPIView):
    serializer_class = s.LinkSerializer

    def post(self, request, pk):
        link = selectors.link_for_api(request, pk)
        _body(request, s.EmptySerializer)
        link = nhsmail_services.link_end(actor=request.user, link=link)
        return Response(self.get_serializer(link).data)


@extend_schema(
    tags=["smartcards"],
    parameters=[UPDATED_SINCE],
    responses={200: s.SmartcardRequestSerializer(many=True), **ERRORS},
)
class SmartcardRequestList(ApiListView):
    serializer_class = s.SmartcardRequestSerializer

    def rows(self, request, filters):
        return selectors.smartcard_requests_for_api(request, filters.get("updated_since"))


@extend_schema(tags=["eps"], responses={200: s.TokenStockSerializer(many=True), **ERRORS})
class TokenStockList(ApiListView):
    """Token stock of each premises today, and what follows from it."""

    serializer_class = s.TokenStockSerializer

    def rows(self, request, filters):
        return selectors.premises_in_scope(request, Permission.VIEW_TOKENS).order_by("pk")

    def decorate(self, page):
        return selectors.token_figures_for_page(page)


@extend_schema(
    tags=["eps"],
    parameters=[UPDATED_SINCE],
    responses={200: s.TokenOrderSerializer(many=True), **ERRORS},
)
class TokenOrderList(ApiListView):
    serializer_class = s.TokenOrderSerializer

    def rows(self, request, filters):
        return selectors.token_orders_for_api(request, filters.get("updated_since"))
