"""The spec's "Formato Cloud Events" example envelope, verbatim, for every test that needs it."""

SPEC_EXAMPLE = """{
  "specversion": "1.0",
  "type": "com.hexabuilders.partners.PartnerRegistrationCompleted",
  "source": "//partners/550e8400-e29b-41d4-a716-446655440000",
  "id": "A234-1234-1234",
  "time": "2025-01-15T10:30:00Z",
  "datacontenttype": "application/json",
  "subject": "550e8400-e29b-41d4-a716-446655440000",
  "data": {
    "partner_id": "550e8400-e29b-41d4-a716-446655440000",
    "business_name": "TechSolutions Inc",
    "email": "contact@techsolutions.com",
    "partner_type": "EMPRESA"
  },
  "correlationid": "CORR-123-456-789",
  "causationid": "CMD-987-654-321"
}"""
