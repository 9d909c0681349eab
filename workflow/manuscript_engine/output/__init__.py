"""manuscript_engine/output"""
