"""The stalls' networked scales: the MQTT protocol (:mod:`.protocol`), the broker's generated
configuration (:mod:`.broker`), the gateway that turns weighings into sales (:mod:`.gateway`),
receipts for thermal printers (:mod:`.escpos`) and a scale simulator (:mod:`.simulator`)."""
