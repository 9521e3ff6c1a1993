"""Shared by every area: the base views, access logging, masking, gating, exports, printing, the customer picker, site and session security, the approvals queue."""
