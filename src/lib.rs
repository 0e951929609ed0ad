//! custodian: offline forensic evidence cataloguing.
