"""manuscript_engine/audit"""
