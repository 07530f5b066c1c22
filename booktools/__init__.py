"""How the book is made: the website's Sphinx extension, the executor that stores the prose's
inline values, the student edition, the teaching plans and the PDF.

None of it is imported by a notebook; the package a learner imports is :mod:`dlimits`.
"""
