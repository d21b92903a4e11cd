import FraudScreenServer
print("fraudscreend: not built yet")
