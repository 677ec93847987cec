[ "éé" __curPos.column ]

