"""The write path: engine events become rows and go into PostgreSQL in one transaction per
batch (`batch`), written behind the engine by the storage worker, spilled to a local file
while PostgreSQL is out of reach, in the spill's exact JSON (`codec`).
"""
