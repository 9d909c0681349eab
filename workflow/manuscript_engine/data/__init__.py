"""manuscript_engine/data"""
