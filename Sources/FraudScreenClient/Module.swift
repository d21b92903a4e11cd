// Client side of the FraudScreen daemon protocol.
