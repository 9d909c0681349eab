"""manuscript_engine/stats"""
