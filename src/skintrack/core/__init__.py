"""Qt-free, SQL-free analysis core: photo intake, face geometry and regions, colour, lesions,
recovery model. Heavy modules (cv2) are imported by the submodules that need them."""
